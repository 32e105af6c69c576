using System.Reflection;

[assembly: AssemblyTitle("BetterScavKarma")]
[assembly: AssemblyProduct("BetterScavKarma")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
