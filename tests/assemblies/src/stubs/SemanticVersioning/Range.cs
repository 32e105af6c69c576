// Stand-in for SemanticVersioning.Range (adamreeve/semver.net).
using System;

namespace SemanticVersioning
{
    public class Range : IEquatable<Range>
    {
        private readonly string _rangeSpec;

        public Range(string rangeSpec, bool loose = false)
        {
            if (rangeSpec == null)
            {
                throw new ArgumentNullException("rangeSpec");
            }
            _rangeSpec = rangeSpec;
        }

        public bool IsSatisfied(Version version)
        {
            throw new NotSupportedException("stand-in assembly: never executed");
        }

        public bool IsSatisfied(string versionString, bool loose = false)
        {
            return IsSatisfied(new Version(versionString, loose));
        }

        public override string ToString()
        {
            return _rangeSpec;
        }

        public bool Equals(Range other)
        {
            return !ReferenceEquals(other, null) && other._rangeSpec == _rangeSpec;
        }

        public override bool Equals(object obj)
        {
            return Equals(obj as Range);
        }

        public override int GetHashCode()
        {
            return _rangeSpec.GetHashCode();
        }

        public static Range Parse(string rangeSpec, bool loose = false)
        {
            return new Range(rangeSpec, loose);
        }
    }
}
