// Runtime oracle for tests/assemblies/expected.json (used by
// `bash tests/assemblies/build.sh --verify`).
//
// Unlike Kappa, which only ever reads these assemblies statically, this tool
// LOADS them under Mono, runs the metadata constructors and reads the
// attributes through reflection, i.e. it recovers the metadata the way the
// SPT server and BepInEx would. That makes it an independent check of the
// hand-written expected.json and proves the post-processed (csc-shape) IL
// still executes. Output: one line per path, each a JSON object
// {"<path>": {...}}. Mono binds non-strong-named assemblies by simple name,
// so the 4.0 and 4.1 SPTarkov.Server.Core builds cannot share a process:
// run one process per mod (build.sh --verify does).
//
//   mono RuntimeDump.exe <output root> <relative path> ...
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;

internal static class RuntimeDump
{
    private static string _root;
    private static readonly Dictionary<string, string> Candidates = new Dictionary<string, string>();

    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: RuntimeDump.exe <root> <relative path> ...");
            return 2;
        }
        _root = Path.GetFullPath(args[0]);
        foreach (string file in Directory.GetFiles(_root, "*.*", SearchOption.AllDirectories))
        {
            if (!file.EndsWith(".dll") && !file.EndsWith(".exe")) continue;
            Candidates[AssemblyName.GetAssemblyName(file).FullName] = file;
        }
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;

        for (int i = 1; i < args.Length; i++)
        {
            Console.WriteLine("{" + Json(args[i]) + ": " + Describe(args[i]) + "}");
        }
        return 0;
    }

    // Several stand-ins share a simple name (two SPTarkov.Server.Core builds),
    // so resolve on the full name, i.e. including the version.
    private static Assembly Resolve(object sender, ResolveEventArgs e)
    {
        string path;
        return Candidates.TryGetValue(e.Name, out path) ? Assembly.LoadFrom(path) : null;
    }

    private static string Describe(string rel)
    {
        string path = Path.Combine(_root, rel);
        Assembly asm = Assembly.LoadFrom(path);
        var fields = new List<KeyValuePair<string, string>>();
        Type[] types = asm.GetTypes().OrderBy(t => t.MetadataToken).ToArray();

        Type meta40 = types.FirstOrDefault(t => !t.IsAbstract && Extends(t, "SPTarkov.Server.Core.Models.Spt.Mod.AbstractModMetadata"));
        Type meta41 = types.FirstOrDefault(t => !t.IsAbstract && !t.IsInterface
            && t.GetInterfaces().Any(x => x.FullName == "SPTarkov.Server.Core.Models.Spt.Mod.IModMetadata"));
        Type[] plugins = types.Where(t => Attr(t, "BepInEx.BepInPlugin").Any()).ToArray();
        Type patcher = types.FirstOrDefault(t => t.IsAbstract && t.IsSealed
            && t.GetProperty("TargetDLLs", BindingFlags.Public | BindingFlags.Static) != null
            && t.GetMethod("Patch", BindingFlags.Public | BindingFlags.Static) != null);

        if (meta40 != null || meta41 != null)
        {
            bool is40 = meta40 != null;
            Type impl = is40 ? meta40 : meta41;
            Type contract = is40 ? impl.BaseType : impl.GetInterfaces().First(x => x.Name == "IModMetadata");
            while (is40 && contract.FullName != "SPTarkov.Server.Core.Models.Spt.Mod.AbstractModMetadata")
            {
                contract = contract.BaseType;
            }
            object o = Activator.CreateInstance(impl, true);
            Func<string, object> get = name => contract.GetProperty(name).GetValue(o, null);
            Add(fields, "kind", Json("server"));
            Add(fields, "generation", Json(is40 ? "4.0" : "4.1"));
            Add(fields, "guid", Json(get("ModGuid")));
            Add(fields, "name", Json(get("Name")));
            Add(fields, "author", Json(get("Author")));
            Add(fields, "version", Json(get("Version")));
            Add(fields, "spt_constraint", Json(get("SptVersion")));
            Add(fields, "dependencies", Json(get("ModDependencies")));
            Add(fields, "incompatibilities", Json(get("Incompatibilities")));
            Add(fields, "url", Json(get("Url")));
            Add(fields, "license", Json(get("License")));
            Add(fields, "contributors", Json(get("Contributors")));
            if (is40) Add(fields, "is_bundle_mod", Json(get("IsBundleMod")));
            else Add(fields, "has_prepatcher", Json(get("HasPrepatcher")));
        }
        else if (plugins.Length > 0)
        {
            Add(fields, "kind", Json("client"));
            var items = new List<string>();
            foreach (Type t in plugins)
            {
                object p = Attr(t, "BepInEx.BepInPlugin").First();
                var deps = new List<string>();
                foreach (object d in Attr(t, "BepInEx.BepInDependency"))
                {
                    int flags = Convert.ToInt32(Prop(d, "Flags"));
                    var min = (System.Version)Prop(d, "MinimumVersion");
                    bool hasMin = min != null && min > new System.Version(0, 0);
                    deps.Add("{\"guid\": " + Json(Prop(d, "DependencyGUID"))
                        + ", \"flags\": " + Json((flags & 2) != 0 ? "soft" : "hard")
                        + ", \"min_version\": " + (hasMin ? Json(min.ToString()) : "null") + "}");
                }
                var inc = Attr(t, "BepInEx.BepInIncompatibility").Select(a => Json(Prop(a, "IncompatibilityGUID")));
                var procs = Attr(t, "BepInEx.BepInProcess").Select(a => Json(Prop(a, "ProcessName")));
                items.Add("{\"guid\": " + Json(Prop(p, "GUID")) + ", \"name\": " + Json(Prop(p, "Name"))
                    + ", \"version\": " + Json(Prop(p, "Version"))
                    + ", \"dependencies\": [" + string.Join(", ", deps) + "]"
                    + ", \"incompatibilities\": [" + string.Join(", ", inc) + "]"
                    + ", \"processes\": [" + string.Join(", ", procs) + "]}");
            }
            Add(fields, "plugins", "[" + string.Join(", ", items) + "]");
        }
        else if (patcher != null)
        {
            Add(fields, "kind", Json("patcher"));
            object targets = patcher.GetProperty("TargetDLLs").GetValue(null, null);
            Add(fields, "target_dlls", Json(targets));
        }
        else
        {
            Add(fields, "kind", Json("library"));
        }

        AssemblyName an = asm.GetName();
        Add(fields, "assembly_name", Json(an.Name));
        Add(fields, "assembly_version", Json(an.Version.ToString()));
        FileVersionInfo fvi = FileVersionInfo.GetVersionInfo(path);
        Add(fields, "file_version", Json(fvi.FileVersion));
        Add(fields, "product_version", Json(fvi.ProductVersion));
        return "{" + string.Join(", ", fields.Select(kv => Json(kv.Key) + ": " + kv.Value)) + "}";
    }

    private static bool Extends(Type t, string fullName)
    {
        for (Type b = t.BaseType; b != null; b = b.BaseType)
        {
            if (b.FullName == fullName) return true;
        }
        return false;
    }

    private static IEnumerable<object> Attr(Type t, string fullName)
    {
        return t.GetCustomAttributes(false).Where(a => a.GetType().FullName == fullName);
    }

    private static object Prop(object o, string name)
    {
        return o.GetType().GetProperty(name).GetValue(o, null);
    }

    private static void Add(List<KeyValuePair<string, string>> f, string k, string v)
    {
        f.Add(new KeyValuePair<string, string>(k, v));
    }

    private static string Json(object v)
    {
        if (v == null) return "null";
        if (v is bool) return (bool)v ? "true" : "false";
        var s = v as string;
        if (s != null)
        {
            var sb = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 0x20) sb.AppendFormat("\\u{0:x4}", (int)c);
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }
        var dict = v as IDictionary;
        if (dict != null)
        {
            var parts = new List<string>();
            foreach (DictionaryEntry e in dict) parts.Add(Json(e.Key.ToString()) + ": " + Json(e.Value));
            return "{" + string.Join(", ", parts) + "}";
        }
        var seq = v as IEnumerable;
        if (seq != null)
        {
            var parts = new List<string>();
            foreach (object e in seq) parts.Add(Json(e));
            return "[" + string.Join(", ", parts) + "]";
        }
        return Json(v.ToString());
    }
}
