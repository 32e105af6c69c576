// (h) Client plugin exercising every dependency form BepInEx 5 knows:
//   hard via default flags   -> blob arg2 = int32 1 (filled in by compiler)
//   explicit HardDependency  -> blob arg2 = int32 1
//   SoftDependency           -> blob arg2 = int32 2
//   minimum version          -> (string, string) ctor, always hard
// plus one BepInIncompatibility and one BepInProcess.
using BepInEx;
using BepInEx.Configuration;
using TacticalHUD.Shared;

namespace TacticalHUD
{
    [BepInPlugin(MyPluginInfo.PLUGIN_GUID, MyPluginInfo.PLUGIN_NAME, MyPluginInfo.PLUGIN_VERSION)]
    [BepInDependency("com.SPT.core")]
    [BepInDependency("com.ravenfall.corelib", BepInDependency.DependencyFlags.HardDependency)]
    [BepInDependency("com.fika.core", BepInDependency.DependencyFlags.SoftDependency)]
    [BepInDependency("xyz.drakia.bigbrain", "1.2.0")]
    [BepInIncompatibility("com.oldmate.legacyhud")]
    [BepInProcess("EscapeFromTarkov.exe")]
    public class TacticalHudPlugin : BaseUnityPlugin
    {
        internal static ConfigEntry<bool> Enabled;

        internal static ConfigEntry<float> Scale;

        private void Awake()
        {
            Enabled = Config.Bind("General", "Enabled", true, "Show the tactical HUD");
            Scale = Config.Bind("General", "Scale", 1.0f, "HUD scale");
            Logger.LogInfo(HudMath.Describe(Scale.Value));
        }
    }
}
