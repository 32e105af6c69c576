// Stand-in for the one Mono.Cecil type a BepInEx 5 preloader patcher's
// entry point mentions: public static void Patch(AssemblyDefinition).
namespace Mono.Cecil
{
    public sealed class ModuleDefinition
    {
        public string Name { get; set; }
    }

    public sealed class AssemblyDefinition
    {
        public ModuleDefinition MainModule { get; set; }
    }
}
