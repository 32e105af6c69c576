using System.Reflection;

[assembly: AssemblyTitle("HideoutAutomation")]
[assembly: AssemblyProduct("HideoutAutomation")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
[assembly: AssemblyInformationalVersion("1.0.0-beta.2")]
