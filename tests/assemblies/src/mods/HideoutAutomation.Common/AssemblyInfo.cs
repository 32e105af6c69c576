using System.Reflection;

[assembly: AssemblyTitle("HideoutAutomation.Common")]
[assembly: AssemblyProduct("HideoutAutomation.Common")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
