// Stand-in for EscapeFromTarkov.exe. The real file is a native Unity player
// executable; all Kappa reads from it is the VS_VERSIONINFO resource, which
// mcs emits from the assembly attributes below.
using System.Reflection;

[assembly: AssemblyTitle("EscapeFromTarkov")]
[assembly: AssemblyCompany("Battlestate Games")]
[assembly: AssemblyProduct("EscapeFromTarkov")]
[assembly: AssemblyVersion("0.16.9.40087")]
[assembly: AssemblyFileVersion("0.16.9.40087")]
[assembly: AssemblyInformationalVersion("0.16.9.40087-f1f8f8cf")]

namespace EscapeFromTarkov
{
    internal static class Program
    {
        private static int Main()
        {
            return 0;
        }
    }
}
