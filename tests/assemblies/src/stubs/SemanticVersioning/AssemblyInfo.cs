using System.Reflection;

[assembly: AssemblyTitle("SemanticVersioning")]
[assembly: AssemblyDescription("Kappa test stand-in for the SemanticVersioning package")]
[assembly: AssemblyProduct("SemanticVersioning")]
[assembly: AssemblyVersion("3.0.0.0")]
[assembly: AssemblyFileVersion("3.0.0.0")]
