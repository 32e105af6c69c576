using System.Threading.Tasks;
using HideoutAutomation.Common;
using SPTarkov.Server.Core.DI;
using SPTarkov.Server.Core.Models.Utils;

namespace HideoutAutomation
{
    public class HideoutAutomationMod : IOnLoad
    {
        private readonly ISptLogger<HideoutAutomationMod> _logger;

        public HideoutAutomationMod(ISptLogger<HideoutAutomationMod> logger)
        {
            _logger = logger;
        }

        public Task OnLoad()
        {
            _logger.Info(CraftQueue.Describe(HideoutConstants.DefaultQueueLength));
            return Task.CompletedTask;
        }
    }
}
