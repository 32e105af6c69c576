// (l) BepInEx 5 preloader patcher for BepInEx/patchers/. No BepInPlugin:
// BepInEx recognises a patcher by a public static TargetDLLs property
// (IEnumerable<string>) and a public static Patch(AssemblyDefinition) method.
// AssemblyVersion and AssemblyFileVersion deliberately differ.
using System.Collections.Generic;
using System.Reflection;
using Mono.Cecil;

[assembly: AssemblyTitle("Ravenfall.Prepatch")]
[assembly: AssemblyProduct("Ravenfall.Prepatch")]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.3.0")]

namespace Ravenfall.Prepatch
{
    public static class RavenfallPrepatcher
    {
        public static IEnumerable<string> TargetDLLs { get; } = new[] { "Assembly-CSharp.dll" };

        public static void Initialize()
        {
        }

        public static void Patch(AssemblyDefinition assembly)
        {
            ModuleDefinition module = assembly.MainModule;
            if (module == null)
            {
                return;
            }
        }

        public static void Finish()
        {
        }
    }
}
