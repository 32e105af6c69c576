// Stand-in for SPTarkov.Server.Core 4.0.x:
// SPTarkov.Server.Core.Models.Spt.Mod.AbstractModMetadata.
//
// The real type is `public abstract record AbstractModMetadata` whose
// properties are `{ get; init; }`. mcs has neither records nor init
// accessors, so this is an abstract class with `{ get; set; }` properties.
// Derived mods therefore override with `{ get; set; }`; the constructor IL
// that stores the initialisers into <Prop>k__BackingField is the same shape.
using System.Collections.Generic;
using Range = SemanticVersioning.Range;
using Version = SemanticVersioning.Version;

namespace SPTarkov.Server.Core.Models.Spt.Mod
{
    public abstract class AbstractModMetadata
    {
        protected AbstractModMetadata()
        {
        }

        public abstract string ModGuid { get; set; }

        public abstract string Name { get; set; }

        public abstract string Author { get; set; }

        public abstract List<string> Contributors { get; set; }

        public abstract Version Version { get; set; }

        public abstract Range SptVersion { get; set; }

        public abstract List<string> Incompatibilities { get; set; }

        public abstract Dictionary<string, Range> ModDependencies { get; set; }

        public abstract string Url { get; set; }

        public abstract bool? IsBundleMod { get; set; }

        public abstract string License { get; set; }
    }
}
