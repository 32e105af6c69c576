// (d) SPT 4.0 server mod mixing styles: ModGuid/SptVersion via initialisers,
// Name/Author/Version/License only inside getter bodies (nothing in the
// .ctor), and an INDEX-initialiser dependency dictionary (callvirt set_Item
// instead of Add). The real-world csc form of these getters is
// `{ get => "..."; init { } }` because the base declares get+init.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace BetterScavKarma
{
    public class BetterScavKarmaMetadata : AbstractModMetadata
    {
        private const string ModVersion = "0.9.14";

        public override string ModGuid { get; set; } = "com.ravenfall.betterscavkarma";

        public override string Name
        {
            get => "Better Scav Karma";
            set { }
        }

        public override string Author
        {
            get => "Ravenfall";
            set { }
        }

        public override List<string> Contributors { get; set; }

        public override Version Version
        {
            get => new Version(ModVersion);
            set { }
        }

        public override Range SptVersion { get; set; } = new Range("~4.0.0");

        public override List<string> Incompatibilities { get; set; }

        public override Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>
        {
            ["com.ravenfall.corelib"] = new Range("~1.2.0"),
            ["com.wtt.commonlib"] = new Range("^2.0.0"),
        };

        public override string Url { get; set; } = "https://forge.sp-tarkov.com/mod/1877/better-scav-karma";

        public override bool? IsBundleMod { get; set; } = false;

        public override string License
        {
            get => "MIT";
            set { }
        }
    }
}
