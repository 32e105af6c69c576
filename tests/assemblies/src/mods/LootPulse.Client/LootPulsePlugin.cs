// (m) Client half of the LootPulse mod. Per Forge guidelines it uses the SAME
// GUID as the server mod (com.nightjar.lootpulse, see LootPulse.Server).
using System.Reflection;
using BepInEx;

[assembly: AssemblyTitle("LootPulse.Client")]
[assembly: AssemblyVersion("1.7.3.0")]
[assembly: AssemblyFileVersion("1.7.3.0")]

namespace LootPulse.Client
{
    [BepInPlugin("com.nightjar.lootpulse", "LootPulse", "1.7.3")]
    [BepInProcess("EscapeFromTarkov.exe")]
    public class LootPulsePlugin : BaseUnityPlugin
    {
        private void Awake()
        {
            Logger.LogInfo("LootPulse client loaded");
        }
    }
}
