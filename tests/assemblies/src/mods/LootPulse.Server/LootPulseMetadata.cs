// (a) SPT 4.0 server mod: every property set by an auto-property
// initialiser; string Version/Range ctors; two-entry collection-initialiser
// dependency dictionary; Incompatibilities and Contributors lists.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace LootPulse.Server
{
    public class LootPulseMetadata : AbstractModMetadata
    {
        public override string ModGuid { get; set; } = "com.nightjar.lootpulse";

        public override string Name { get; set; } = "LootPulse";

        public override string Author { get; set; } = "Nightjar";

        public override List<string> Contributors { get; set; } = new List<string> { "Kestrel", "ovrdrv" };

        public override Version Version { get; set; } = new Version("1.7.3");

        public override Range SptVersion { get; set; } = new Range("~4.0.0");

        public override List<string> Incompatibilities { get; set; } = new List<string>
        {
            "com.ferrum.lootrebalance",
            "com.oldmate.lootvalue",
        };

        public override Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>
        {
            { "com.wtt.commonlib", new Range("^2.0.0") },
            { "com.nightjar.sharedui", new Range(">=1.1.0 <2.0.0") },
        };

        public override string Url { get; set; } = "https://forge.sp-tarkov.com/mod/2291/lootpulse";

        public override bool? IsBundleMod { get; set; } = false;

        public override string License { get; set; } = "MIT";
    }
}
