using System.Reflection;

[assembly: AssemblyTitle("RaidReview")]
[assembly: AssemblyProduct("RaidReview")]
[assembly: AssemblyVersion("0.9.1.0")]
[assembly: AssemblyFileVersion("0.9.1.0")]
