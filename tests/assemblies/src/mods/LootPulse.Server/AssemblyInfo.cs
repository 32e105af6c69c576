using System.Reflection;

[assembly: AssemblyTitle("LootPulse.Server")]
[assembly: AssemblyProduct("LootPulse.Server")]
[assembly: AssemblyVersion("1.7.3.0")]
[assembly: AssemblyFileVersion("1.7.3.0")]
