// (b) Fika-style SPT 4.0 server mod: int-ctor Version(2, 3, 4) (IL:
// ldc.i4.2; ldc.i4.3; ldc.i4.4; ldnull; ldnull; newobj Version(int,int,int,
// string,string)), SptVersion ">=4.0.11", and EMPTY (not null) collections,
// which is what `= [];` compiles to with csc.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace Fika.Server
{
    public class FikaServerMetadata : AbstractModMetadata
    {
        public override string ModGuid { get; set; } = "com.fika.server";

        public override string Name { get; set; } = "Fika.Server";

        public override string Author { get; set; } = "Project Fika";

        public override List<string> Contributors { get; set; } = new List<string>();

        public override Version Version { get; set; } = new Version(2, 3, 4);

        public override Range SptVersion { get; set; } = new Range(">=4.0.11");

        public override List<string> Incompatibilities { get; set; } = new List<string>();

        public override Dictionary<string, Range> ModDependencies { get; set; } = new Dictionary<string, Range>();

        public override string Url { get; set; } = "https://github.com/project-fika/Fika-Server-CSharp";

        public override bool? IsBundleMod { get; set; } = false;

        public override string License { get; set; } = "CC-BY-NC-SA-4.0";
    }
}
