// (i, part 2) Second plugin DLL in BepInEx/plugins/SwiftSort/. References
// SwiftSort.Core.dll at compile time and hard-depends on its plugin GUID.
using System.Reflection;
using BepInEx;
using SwiftSort.Core;

[assembly: AssemblyTitle("SwiftSort.Extras")]
[assembly: AssemblyVersion("1.3.0.0")]
[assembly: AssemblyFileVersion("1.3.0.0")]

namespace SwiftSort.Extras
{
    [BepInPlugin("com.pinecone.swiftsort.extras", "SwiftSort Extras", "1.3.0")]
    [BepInDependency("com.pinecone.swiftsort.core", BepInDependency.DependencyFlags.HardDependency)]
    public class SwiftSortExtrasPlugin : BaseUnityPlugin
    {
        private void Awake()
        {
            SortApi.Register("ammo-by-caliber");
            SortApi.Register("meds-by-use");
            Logger.LogInfo("SwiftSort Extras registered " + SortApi.RuleCount + " rules");
        }
    }
}
