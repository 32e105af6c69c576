using System.Threading.Tasks;
using SPTarkov.Server.Core.DI;
using SPTarkov.Server.Core.Models.Utils;

namespace LootPulse.Server
{
    public class LootPulseServer : IOnLoad
    {
        private readonly ISptLogger<LootPulseServer> _logger;

        public LootPulseServer(ISptLogger<LootPulseServer> logger)
        {
            _logger = logger;
        }

        public Task OnLoad()
        {
            _logger.Success("[LootPulse] loot tables annotated");
            return Task.CompletedTask;
        }
    }
}
