// (k) Plain helper library shipped next to TacticalHUD.dll in
// BepInEx/plugins/TacticalHUD/. No BepInPlugin, no BaseUnityPlugin subclass,
// no server metadata: a scanner must classify it as a library.
using System;
using System.Collections.Generic;

namespace TacticalHUD.Shared
{
    public static class HudMath
    {
        public static float Clamp01(float value)
        {
            return Math.Max(0f, Math.Min(1f, value));
        }

        public static string Describe(float scale)
        {
            return "TacticalHUD scale " + scale.ToString("0.00");
        }
    }

    public sealed class CompassRose
    {
        private static readonly string[] Points = { "N", "NE", "E", "SE", "S", "SW", "W", "NW" };

        public string Heading(float degrees)
        {
            int index = (int)Math.Round(((degrees % 360f) + 360f) % 360f / 45f) % 8;
            return Points[index];
        }

        public IEnumerable<string> All()
        {
            return Points;
        }
    }
}
