// (f) SPT 4.1 server mod: implements the IModMetadata INTERFACE (an
// InterfaceImpl row, no Extends to a metadata base), string Version ctor,
// collection-initialiser dependencies, HasPrepatcher = false.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace FleaTweaks
{
    public class FleaTweaksMetadata : IModMetadata
    {
        public string ModGuid { get; set; } = "com.kestrel.fleatweaks";

        public string Name { get; set; } = "FleaTweaks";

        public string Author { get; set; } = "Kestrel";

        public List<string> Contributors { get; set; } = new List<string> { "Nightjar" };

        public Version Version { get; set; } = new Version("3.0.1");

        public Range SptVersion { get; set; } = new Range("~4.1.0");

        public bool HasPrepatcher { get; set; } = false;

        public List<string> Incompatibilities { get; set; } = new List<string> { "com.acme.fleaoverhaul" };

        public Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>
        {
            { "com.wtt.commonlib", new Range("^2.1.0") },
            { "com.nightjar.lootpulse", new Range("~1.7") },
        };

        public string Url { get; set; } = "https://forge.sp-tarkov.com/mod/3120/fleatweaks";

        public string License { get; set; } = "MIT";
    }
}
