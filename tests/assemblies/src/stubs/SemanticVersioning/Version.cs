// Stand-in for the SemanticVersioning NuGet package (adamreeve/semver.net).
// Only the public surface that SPT mods touch is reproduced; parsing is
// deliberately simplistic because nothing ever executes this code: the
// compiled assembly exists so that mods can reference it.
using System;

namespace SemanticVersioning
{
    public class Version : IComparable<Version>, IEquatable<Version>
    {
        private readonly string _text;

        public int Major { get; private set; }
        public int Minor { get; private set; }
        public int Patch { get; private set; }
        public string PreRelease { get; private set; }
        public string Build { get; private set; }

        public Version(string input, bool loose = false)
        {
            if (input == null)
            {
                throw new ArgumentNullException("input");
            }
            _text = input.Trim();
            string core = _text;
            int plus = core.IndexOf('+');
            if (plus >= 0)
            {
                Build = core.Substring(plus + 1);
                core = core.Substring(0, plus);
            }
            int dash = core.IndexOf('-');
            if (dash >= 0)
            {
                PreRelease = core.Substring(dash + 1);
                core = core.Substring(0, dash);
            }
            string[] parts = core.TrimStart('v', '=').Split('.');
            Major = parts.Length > 0 ? int.Parse(parts[0]) : 0;
            Minor = parts.Length > 1 ? int.Parse(parts[1]) : 0;
            Patch = parts.Length > 2 ? int.Parse(parts[2]) : 0;
        }

        public Version(int major, int minor, int patch, string preRelease = null, string build = null)
        {
            Major = major;
            Minor = minor;
            Patch = patch;
            PreRelease = preRelease;
            Build = build;
        }

        public Version BaseVersion()
        {
            return new Version(Major, Minor, Patch);
        }

        public override string ToString()
        {
            string s = Major + "." + Minor + "." + Patch;
            if (!string.IsNullOrEmpty(PreRelease))
            {
                s += "-" + PreRelease;
            }
            if (!string.IsNullOrEmpty(Build))
            {
                s += "+" + Build;
            }
            return s;
        }

        public int CompareTo(Version other)
        {
            if (ReferenceEquals(other, null)) return 1;
            int c = Major.CompareTo(other.Major);
            if (c != 0) return c;
            c = Minor.CompareTo(other.Minor);
            if (c != 0) return c;
            c = Patch.CompareTo(other.Patch);
            if (c != 0) return c;
            if (string.IsNullOrEmpty(PreRelease)) return string.IsNullOrEmpty(other.PreRelease) ? 0 : 1;
            if (string.IsNullOrEmpty(other.PreRelease)) return -1;
            return string.CompareOrdinal(PreRelease, other.PreRelease);
        }

        public bool Equals(Version other)
        {
            return !ReferenceEquals(other, null) && CompareTo(other) == 0;
        }

        public override bool Equals(object obj)
        {
            return Equals(obj as Version);
        }

        public override int GetHashCode()
        {
            return ToString().GetHashCode();
        }

        public static Version Parse(string input, bool loose = false)
        {
            return new Version(input, loose);
        }
    }
}
