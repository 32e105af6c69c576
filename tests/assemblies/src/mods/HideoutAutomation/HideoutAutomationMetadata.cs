// (e) SPT 4.0 server mod with a prerelease int-ctor version:
// new Version(1, 0, 0, "beta.2") -> "1.0.0-beta.2"; SptVersion "4.0.x";
// most optional properties left null (no initialiser at all).
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace HideoutAutomation
{
    public class HideoutAutomationMetadata : AbstractModMetadata
    {
        public override string ModGuid { get; set; } = "io.github.moxie.hideoutautomation";

        public override string Name { get; set; } = "Hideout Automation";

        public override string Author { get; set; } = "moxie";

        public override List<string> Contributors { get; set; }

        public override Version Version { get; set; } = new Version(1, 0, 0, "beta.2");

        public override Range SptVersion { get; set; } = new Range("4.0.x");

        public override List<string> Incompatibilities { get; set; }

        public override Dictionary<string, Range> ModDependencies { get; set; }

        public override string Url { get; set; }

        public override bool? IsBundleMod { get; set; }

        public override string License { get; set; } = "GPL-3.0-or-later";
    }
}
