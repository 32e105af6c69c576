// (n) Server-side helper library shipped as a second TOP-LEVEL DLL in the
// HideoutAutomation server mod folder. It references SPTarkov.Server.Core
// and even carries GUID/version-looking constants, but it has no type
// deriving from AbstractModMetadata, so it contributes no mod metadata.
using System.Collections.Generic;
using SPTarkov.Server.Core.Models.Utils;

namespace HideoutAutomation.Common
{
    public static class HideoutConstants
    {
        public const string OwnerGuid = "io.github.moxie.hideoutautomation";

        public const string SchemaVersion = "3.1.0";

        public const int DefaultQueueLength = 4;
    }

    public class CraftQueue
    {
        private readonly List<string> _recipes = new List<string>();

        public int Count
        {
            get { return _recipes.Count; }
        }

        public void Enqueue(string recipeId)
        {
            _recipes.Add(recipeId);
        }

        public static string Describe(int length)
        {
            return "[HideoutAutomation] craft queue length " + length;
        }

        public void Dump<T>(ISptLogger<T> logger)
        {
            foreach (string recipe in _recipes)
            {
                logger.Info(recipe);
            }
        }
    }
}
