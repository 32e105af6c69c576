// (g) SPT 4.1 server mod (IModMetadata) whose Version comes from the
// assembly version idiom (AssemblyVersion 2.0.5.0 -> "2.0.5"), with
// HasPrepatcher = true and index-initialiser dependencies.
using System.Collections.Generic;
using System.Reflection;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

[assembly: AssemblyTitle("Larkspur.StashSorter")]
[assembly: AssemblyProduct("StashSorter")]
[assembly: AssemblyVersion("2.0.5.0")]
[assembly: AssemblyFileVersion("2.0.5.0")]

namespace Larkspur.StashSorter
{
    public class StashSorterMetadata : IModMetadata
    {
        public string ModGuid { get; set; } = "dev.larkspur.stashsorter";

        public string Name { get; set; } = "Stash Sorter";

        public string Author { get; set; } = "Larkspur";

        public List<string> Contributors { get; set; }

        public Version Version { get; set; } =
            new Version(typeof(StashSorterMetadata).Assembly.GetName().Version.ToString(3));

        public Range SptVersion { get; set; } = new Range(">=4.1.0");

        public bool HasPrepatcher { get; set; } = true;

        public List<string> Incompatibilities { get; set; }

        public Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>
        {
            ["com.kestrel.fleatweaks"] = new Range("^3.0.0"),
        };

        public string Url { get; set; } = "https://github.com/larkspur-dev/StashSorter";

        public string License { get; set; } = "MIT";
    }
}
