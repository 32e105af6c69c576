// (c) SPT 4.0 server mod whose Version is derived at run time from the
// assembly version: there is no version string in the IL, only
// ldtoken/GetTypeFromHandle/get_Assembly/GetName/get_Version/ToString(3).
// A static reader must fall back to the Assembly table (1.4.2.0 -> 1.4.2).
using System.Collections.Generic;
using System.Reflection;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

[assembly: AssemblyTitle("Larkspur.TraderTimers")]
[assembly: AssemblyProduct("TraderTimers")]
[assembly: AssemblyVersion("1.4.2.0")]

namespace Larkspur.TraderTimers
{
    public class TraderTimersMetadata : AbstractModMetadata
    {
        public override string ModGuid { get; set; } = "dev.larkspur.tradertimers";

        public override string Name { get; set; } = "Trader Timers";

        public override string Author { get; set; } = "Larkspur";

        public override List<string> Contributors { get; set; }

        public override Version Version { get; set; } =
            new Version(typeof(TraderTimersMetadata).Assembly.GetName().Version.ToString(3));

        public override Range SptVersion { get; set; } = new Range("~4.0.0");

        public override List<string> Incompatibilities { get; set; }

        public override Dictionary<string, Range> ModDependencies { get; set; }

        public override string Url { get; set; } = "https://github.com/larkspur-dev/TraderTimers";

        public override bool? IsBundleMod { get; set; }

        public override string License { get; set; } = "Apache-2.0";
    }
}
