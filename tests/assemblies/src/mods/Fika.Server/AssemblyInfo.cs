using System.Reflection;

[assembly: AssemblyTitle("Fika.Server")]
[assembly: AssemblyProduct("Fika.Server")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
