using System.Reflection;

[assembly: AssemblyTitle("FleaTweaks")]
[assembly: AssemblyProduct("FleaTweaks")]
[assembly: AssemblyVersion("3.0.1.0")]
[assembly: AssemblyFileVersion("3.0.1.0")]
