// (i, part 1) First of two plugin DLLs that live together in
// BepInEx/plugins/SwiftSort/. Exposes a public API used by SwiftSort.Extras.
using System.Collections.Generic;
using System.Reflection;
using BepInEx;

[assembly: AssemblyTitle("SwiftSort.Core")]
[assembly: AssemblyVersion("1.3.0.0")]
[assembly: AssemblyFileVersion("1.3.0.0")]

namespace SwiftSort.Core
{
    [BepInPlugin("com.pinecone.swiftsort.core", "SwiftSort Core", "1.3.0")]
    [BepInDependency("com.SPT.core", "4.0.0")]
    public class SwiftSortCorePlugin : BaseUnityPlugin
    {
        public static SwiftSortCorePlugin Instance { get; private set; }

        private void Awake()
        {
            Instance = this;
            Logger.LogInfo("SwiftSort Core ready");
        }
    }

    public static class SortApi
    {
        private static readonly List<string> Rules = new List<string>();

        public static void Register(string rule)
        {
            Rules.Add(rule);
        }

        public static int RuleCount
        {
            get { return Rules.Count; }
        }
    }
}
