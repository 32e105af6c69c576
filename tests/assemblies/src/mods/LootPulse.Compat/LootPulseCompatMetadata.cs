// Nested server metadata DLL: shipped in a SUB-FOLDER of the LootPulse
// server mod folder (SPT/user/mods/LootPulse/compat/). The SPT server only
// loads top-level DLLs of a mod folder, so scanners must ignore this file
// even though it carries a perfectly valid AbstractModMetadata subclass.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace LootPulse.Compat
{
    public class LootPulseCompatMetadata : AbstractModMetadata
    {
        public override string ModGuid { get; set; } = "com.nightjar.lootpulse.compat";

        public override string Name { get; set; } = "LootPulse Compat";

        public override string Author { get; set; } = "Nightjar";

        public override List<string> Contributors { get; set; }

        public override Version Version { get; set; } = new Version("1.0.0");

        public override Range SptVersion { get; set; } = new Range("~4.0.0");

        public override List<string> Incompatibilities { get; set; }

        public override Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>
        {
            { "com.nightjar.lootpulse", new Range(">=1.7.0") },
        };

        public override string Url { get; set; }

        public override bool? IsBundleMod { get; set; }

        public override string License { get; set; } = "MIT";
    }
}
