global using System.Collections.Immutable;
global using System.Diagnostics;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
global using Orleans;
global using Orleans.Concurrency;
global using Orleans.Runtime;
global using Resync.Engine;
