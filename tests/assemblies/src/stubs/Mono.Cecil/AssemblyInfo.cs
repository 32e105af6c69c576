using System.Reflection;

[assembly: AssemblyTitle("Mono.Cecil")]
[assembly: AssemblyDescription("Kappa test stand-in for Mono.Cecil")]
[assembly: AssemblyProduct("Mono.Cecil")]
[assembly: AssemblyVersion("0.10.4.0")]
[assembly: AssemblyFileVersion("0.10.4.0")]
