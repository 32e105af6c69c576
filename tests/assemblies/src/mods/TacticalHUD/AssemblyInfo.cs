using System.Reflection;

[assembly: AssemblyTitle("TacticalHUD")]
[assembly: AssemblyProduct("TacticalHUD")]
[assembly: AssemblyVersion("2.1.0.0")]
[assembly: AssemblyFileVersion("2.1.0.0")]
