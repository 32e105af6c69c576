// Stand-in for BepInEx.BaseUnityPlugin. The real class derives from
// UnityEngine.MonoBehaviour; Unity is not stood in here, so this one derives
// from System.Object. Plugins still extend the TypeRef
// [BepInEx]BepInEx.BaseUnityPlugin exactly as real plugins do.
using BepInEx.Configuration;
using BepInEx.Logging;

namespace BepInEx
{
    public class PluginInfo
    {
        public BepInPlugin Metadata { get; internal set; }

        public string Location { get; internal set; }
    }

    public abstract class BaseUnityPlugin
    {
        protected BaseUnityPlugin()
        {
            Logger = new ManualLogSource(GetType().Name);
            Config = new ConfigFile();
        }

        public PluginInfo Info { get; internal set; }

        protected ManualLogSource Logger { get; private set; }

        public ConfigFile Config { get; private set; }
    }
}

namespace BepInEx.Logging
{
    public class ManualLogSource
    {
        public ManualLogSource(string sourceName)
        {
            SourceName = sourceName;
        }

        public string SourceName { get; private set; }

        public void LogInfo(object data) { }

        public void LogWarning(object data) { }

        public void LogError(object data) { }

        public void LogDebug(object data) { }
    }
}

namespace BepInEx.Configuration
{
    public class ConfigEntry<T>
    {
        public ConfigEntry(T value)
        {
            Value = value;
        }

        public T Value { get; set; }
    }

    public class ConfigFile
    {
        public ConfigEntry<T> Bind<T>(string section, string key, T defaultValue, string description)
        {
            return new ConfigEntry<T>(defaultValue);
        }
    }
}
