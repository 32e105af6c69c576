// Stand-in for the plugin contract attributes of BepInEx 5 (v5-lts,
// BepInEx/Contract/Attributes.cs). Constructor signatures, the nested
// [Flags] enum BepInDependency.DependencyFlags and the AttributeUsage
// settings match the real assembly, so custom-attribute blobs in plugins
// compiled against this stand-in are byte-for-byte what real plugins carry.
using System;

namespace BepInEx
{
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
    public class BepInPlugin : Attribute
    {
        public string GUID { get; protected set; }

        public string Name { get; protected set; }

        public Version Version { get; protected set; }

        public BepInPlugin(string GUID, string Name, string Version)
        {
            this.GUID = GUID;
            this.Name = Name;
            try
            {
                this.Version = new Version(Version);
            }
            catch
            {
                this.Version = null;
            }
        }
    }

    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
    public class BepInDependency : Attribute
    {
        [Flags]
        public enum DependencyFlags
        {
            HardDependency = 1,
            SoftDependency = 2,
        }

        public string DependencyGUID { get; protected set; }

        public DependencyFlags Flags { get; protected set; }

        public Version MinimumVersion { get; protected set; }

        public BepInDependency(string DependencyGUID, DependencyFlags Flags = DependencyFlags.HardDependency)
        {
            this.DependencyGUID = DependencyGUID;
            this.Flags = Flags;
            MinimumVersion = new Version();
        }

        public BepInDependency(string DependencyGUID, string MinimumDependencyVersion) : this(DependencyGUID)
        {
            MinimumVersion = new Version(MinimumDependencyVersion);
        }
    }

    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
    public class BepInIncompatibility : Attribute
    {
        public string IncompatibilityGUID { get; protected set; }

        public BepInIncompatibility(string IncompatibilityGUID)
        {
            this.IncompatibilityGUID = IncompatibilityGUID;
        }
    }

    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
    public class BepInProcess : Attribute
    {
        public string ProcessName { get; protected set; }

        public BepInProcess(string ProcessName)
        {
            this.ProcessName = ProcessName;
        }
    }
}
