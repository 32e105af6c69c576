using System.Reflection;

[assembly: AssemblyTitle("spt-core")]
[assembly: AssemblyCompany("SPT")]
[assembly: AssemblyProduct("spt-core")]
[assembly: AssemblyVersion("4.0.11.0")]
[assembly: AssemblyFileVersion("4.0.11.0")]
