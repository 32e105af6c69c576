// Stand-in for SPT's own client plugin (BepInEx/plugins/spt/spt-core.dll).
// Mod scanners must skip the spt/ folder; the file version doubles as the
// fallback source for the installed SPT version.
using BepInEx;

namespace SPT.Core
{
    [BepInPlugin("com.SPT.core", "spt-core", "4.0.11")]
    public class SPTCorePlugin : BaseUnityPlugin
    {
        public void Awake()
        {
            Logger.LogInfo("Loading: SPT.Core");
        }
    }
}
