// (o) SPT 4.1 server mod using EXPLICIT interface implementation. Both csc
// and mcs name the backing fields after the qualified member, e.g.
// <SPTarkov.Server.Core.Models.Spt.Mod.IModMetadata.ModGuid>k__BackingField,
// and the property rows are named "SPTarkov...IModMetadata.ModGuid".
// Version uses the int ctor new Version(0, 9, 1).
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Spt.Mod;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace RaidReview
{
    public sealed class RaidReviewMetadata : IModMetadata
    {
        string IModMetadata.ModGuid { get; set; } = "com.ovrdrv.raidreview";

        string IModMetadata.Name { get; set; } = "Raid Review";

        string IModMetadata.Author { get; set; } = "ovrdrv";

        List<string> IModMetadata.Contributors { get; set; }

        Version IModMetadata.Version { get; set; } = new Version(0, 9, 1);

        Range IModMetadata.SptVersion { get; set; } = new Range("~4.1.2");

        bool IModMetadata.HasPrepatcher { get; set; }

        List<string> IModMetadata.Incompatibilities { get; set; } = new List<string> { "com.ovrdrv.raidreview-legacy" };

        Dictionary<string, Range> IModMetadata.ModDependencies { get; set; }

        string IModMetadata.Url { get; set; } = "https://forge.sp-tarkov.com/mod/3305/raid-review";

        string IModMetadata.License { get; set; } = "Unlicense";
    }
}
