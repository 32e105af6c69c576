// BepInEx.PluginInfoProps-style constants: csc/mcs inline the const values
// into the attribute blob, and the constants also appear as Field + Constant
// rows. A reader must take the values from the BepInPlugin blob.
namespace TacticalHUD
{
    public static class MyPluginInfo
    {
        public const string PLUGIN_GUID = "com.ravenfall.tacticalhud";
        public const string PLUGIN_NAME = "TacticalHUD";
        public const string PLUGIN_VERSION = "2.1.0";
    }
}
