// Stand-in for SPTarkov.Server.Core 4.1.x:
// SPTarkov.Server.Core.Models.Spt.Mod.IModMetadata.
//
// The real interface declares `{ get; init; }` properties; mcs has no init
// accessors, so they are `{ get; set; }` here and implementers use
// `{ get; set; }` auto-properties. IsBundleMod is gone in 4.1 and
// HasPrepatcher (bool, not nullable) is new.
using System.Collections.Generic;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace SPTarkov.Server.Core.Models.Spt.Mod
{
    public interface IModMetadata
    {
        string ModGuid { get; set; }

        string Name { get; set; }

        string Author { get; set; }

        List<string> Contributors { get; set; }

        Version Version { get; set; }

        Range SptVersion { get; set; }

        bool HasPrepatcher { get; set; }

        List<string> Incompatibilities { get; set; }

        Dictionary<string, Range> ModDependencies { get; set; }

        string Url { get; set; }

        string License { get; set; }
    }
}
