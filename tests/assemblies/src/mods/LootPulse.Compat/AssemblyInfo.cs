using System.Reflection;

[assembly: AssemblyTitle("LootPulse.Compat")]
[assembly: AssemblyProduct("LootPulse.Compat")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
