using System.Reflection;

[assembly: AssemblyTitle("SPTarkov.Server.Core")]
[assembly: AssemblyDescription("Kappa test stand-in for SPTarkov.Server.Core (SPT 4.0)")]
[assembly: AssemblyCompany("SPTarkov.Server.Core")]
[assembly: AssemblyProduct("SPTarkov.Server.Core")]
[assembly: AssemblyVersion("4.0.11.0")]
[assembly: AssemblyFileVersion("4.0.11.0")]
[assembly: AssemblyInformationalVersion("4.0.11+3c1d9a7")]
