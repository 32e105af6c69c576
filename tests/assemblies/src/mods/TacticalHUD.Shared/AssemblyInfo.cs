using System.Reflection;

[assembly: AssemblyTitle("TacticalHUD.Shared")]
[assembly: AssemblyVersion("2.1.0.0")]
[assembly: AssemblyFileVersion("2.1.0.0")]
