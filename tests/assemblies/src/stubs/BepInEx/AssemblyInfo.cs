using System.Reflection;

[assembly: AssemblyTitle("BepInEx")]
[assembly: AssemblyDescription("Kappa test stand-in for BepInEx 5")]
[assembly: AssemblyProduct("BepInEx")]
[assembly: AssemblyVersion("5.4.23.2")]
[assembly: AssemblyFileVersion("5.4.23.2")]
