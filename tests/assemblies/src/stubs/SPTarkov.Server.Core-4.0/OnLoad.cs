// A sliver of the real server API so stand-in mods look like real ones
// (a metadata type plus an IOnLoad entry point).
using System.Threading.Tasks;

namespace SPTarkov.Server.Core.DI
{
    public interface IOnLoad
    {
        Task OnLoad();
    }
}

namespace SPTarkov.Server.Core.Models.Utils
{
    public interface ISptLogger<T>
    {
        void Info(string data);

        void Warning(string data);

        void Success(string data);
    }
}
