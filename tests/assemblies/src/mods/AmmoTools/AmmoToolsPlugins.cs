// (j) ONE DLL containing TWO plugin classes (two BepInPlugin types). The
// second one uses a two-part version ("1.0", valid for System.Version) and
// soft-depends on the first.
using System.Reflection;
using BepInEx;

[assembly: AssemblyTitle("AmmoTools")]
[assembly: AssemblyVersion("0.8.2.0")]
[assembly: AssemblyFileVersion("0.8.2.0")]

namespace AmmoTools
{
    [BepInPlugin("com.oxbow.ammotools.stats", "AmmoTools Stats", "0.8.2")]
    [BepInProcess("EscapeFromTarkov.exe")]
    public class AmmoStatsPlugin : BaseUnityPlugin
    {
        private void Awake()
        {
            Logger.LogInfo("AmmoTools Stats loaded");
        }
    }

    [BepInPlugin("com.oxbow.ammotools.loadout", "AmmoTools Loadout", "1.0")]
    [BepInDependency("com.oxbow.ammotools.stats", BepInDependency.DependencyFlags.SoftDependency)]
    [BepInProcess("EscapeFromTarkov.exe")]
    public class AmmoLoadoutPlugin : BaseUnityPlugin
    {
        private void Awake()
        {
            Logger.LogInfo("AmmoTools Loadout loaded");
        }
    }

    internal static class Ballistics
    {
        public static float Penetration(float basePen, float armorClass)
        {
            return basePen - armorClass * 10f;
        }
    }
}
