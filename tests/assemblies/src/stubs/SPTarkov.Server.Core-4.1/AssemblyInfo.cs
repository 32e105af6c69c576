using System.Reflection;

[assembly: AssemblyTitle("SPTarkov.Server.Core")]
[assembly: AssemblyDescription("Kappa test stand-in for SPTarkov.Server.Core (SPT 4.1)")]
[assembly: AssemblyCompany("SPTarkov.Server.Core")]
[assembly: AssemblyProduct("SPTarkov.Server.Core")]
[assembly: AssemblyVersion("4.1.2.0")]
[assembly: AssemblyFileVersion("4.1.2.0")]
[assembly: AssemblyInformationalVersion("4.1.2+8e4b0f2")]
