using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace ComImpersonation.Analyzers.Tests.Editors
{
    /// <summary>
    /// The editor's side of the Language Server Protocol, as small as a test needs: JSON-RPC 2.0 over the server's
    /// standard input and output with LSP's <c>Content-Length</c> framing; requests with their responses, the server's
    /// own requests answered by a handler (<c>workspace/configuration</c> and the like), the diagnostics the server
    /// pushes kept per document. Everything the server says on standard error or in <c>window/logMessage</c> goes to
    /// <see cref="Log"/>, which every failure carries.
    /// </summary>
    internal sealed class LspClient : IDisposable
    {
        private const int LogLimit = 30_000;

        private readonly Process _process;
        private readonly Stream _toServer;
        private readonly Func<string, JsonNode?, JsonNode?> _answer;
        private readonly object _gate = new object();
        private readonly Dictionary<int, TaskCompletionSource<JsonNode?>> _pending = new Dictionary<int, TaskCompletionSource<JsonNode?>>();
        private readonly Dictionary<string, JsonArray> _published = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        private readonly List<(string Method, JsonNode? Params)> _serverRequests = new List<(string, JsonNode?)>();
        private readonly StringBuilder _log = new StringBuilder();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Thread _reader;
        private TaskCompletionSource _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _gone;
        private int _nextId;

        private LspClient(Process process, Func<string, JsonNode?, JsonNode?> answer)
        {
            _process = process;
            _answer = answer;
            _toServer = process.StandardInput.BaseStream;
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    AppendLog("stderr", e.Data);
                }
            };
            process.BeginErrorReadLine();
            _reader = new Thread(() => ReadMessages(process.StandardOutput.BaseStream)) { IsBackground = true, Name = "LSP reader" };
            _reader.Start();
        }

        /// <summary>Starts the server; <paramref name="answer"/> answers its requests (method, params) with a result.</summary>
        public static LspClient Start(ProcessStartInfo start, Func<string, JsonNode?, JsonNode?> answer)
        {
            var process = new Process { StartInfo = start };
            try
            {
                process.Start();
            }
            catch (Exception e)
            {
                process.Dispose();
                throw new InvalidOperationException($"cannot start the language server ({start.FileName} {string.Join(" ", start.ArgumentList)}): {e.Message}", e);
            }

            return new LspClient(process, answer);
        }

        /// <summary>What the server wrote to standard error and in window/logMessage, and what ended it (the last part, when long).</summary>
        public string Log
        {
            get
            {
                lock (_gate)
                {
                    string log = _log.ToString();
                    return log.Length <= LogLimit ? log : "…" + log.Substring(log.Length - LogLimit);
                }
            }
        }

        /// <summary>The requests the server sent to the client, in order.</summary>
        public IReadOnlyList<(string Method, JsonNode? Params)> ServerRequests
        {
            get
            {
                lock (_gate)
                {
                    return _serverRequests.ToList();
                }
            }
        }

        public async Task<JsonNode?> RequestAsync(string method, JsonNode? parameters, TimeSpan timeout)
        {
            var response = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
            int id;
            lock (_gate)
            {
                if (_gone is not null)
                {
                    throw Failure($"cannot send {method}: {_gone}");
                }

                id = ++_nextId;
                _pending[id] = response;
            }

            Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
            Task finished = await Task.WhenAny(response.Task, Task.Delay(timeout)).ConfigureAwait(false);
            if (finished != response.Task)
            {
                lock (_gate)
                {
                    _pending.Remove(id);
                }

                throw Failure($"{method} got no response within {timeout.TotalSeconds:0} s");
            }

            return await response.Task.ConfigureAwait(false);
        }

        public void Notify(string method, JsonNode? parameters) =>
            Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

        /// <summary>Waits until the diagnostics last pushed for <paramref name="uri"/> satisfy <paramref name="until"/>.</summary>
        public async Task<JsonArray> WaitForPublishedAsync(string uri, Func<JsonArray, bool> until, TimeSpan timeout, string what)
        {
            DateTime end = DateTime.UtcNow + timeout;
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (_published.TryGetValue(uri, out JsonArray? diagnostics) && until(diagnostics))
                    {
                        return (JsonArray)diagnostics.DeepClone();
                    }

                    if (_gone is not null)
                    {
                        throw Failure($"waiting for {what}: {_gone}");
                    }

                    changed = _changed.Task;
                }

                TimeSpan left = end - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)).ConfigureAwait(false) != changed)
                {
                    string last;
                    lock (_gate)
                    {
                        last = _published.TryGetValue(uri, out JsonArray? diagnostics) ? diagnostics.ToJsonString() : "(nothing pushed)";
                    }

                    throw Failure($"no push of {what} within {timeout.TotalSeconds:0} s; last pushed for {uri}: {last}");
                }
            }
        }

        /// <summary>An exception whose message ends with the server's log.</summary>
        public Exception Failure(string message, Exception? inner = null) =>
            new LanguageServerException(message + Environment.NewLine + "--- language server log ---" + Environment.NewLine + Log, inner);

        public void Dispose()
        {
            try
            {
                if (_gone is null)
                {
                    // A polite end, as editors do; the server gets two seconds before it is killed.
                    Task<JsonNode?> shutdown = RequestAsync("shutdown", null, TimeSpan.FromSeconds(2));
                    shutdown.Wait(TimeSpan.FromSeconds(2));
                    Notify("exit", null);
                    _process.WaitForExit(2000);
                }
            }
            catch (Exception e) when (e is LanguageServerException or IOException or AggregateException or InvalidOperationException)
            {
                // Killed below.
            }

            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // It ended meanwhile.
            }

            // The reader ends at the end of the server's output; only then is the process let go.
            _reader.Join(TimeSpan.FromSeconds(10));
            _process.Dispose();
        }

        private void Send(JsonObject message)
        {
            byte[] body = Encoding.UTF8.GetBytes(message.ToJsonString());
            byte[] header = Encoding.ASCII.GetBytes("Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");
            lock (_toServer)
            {
                try
                {
                    _toServer.Write(header, 0, header.Length);
                    _toServer.Write(body, 0, body.Length);
                    _toServer.Flush();
                }
                catch (IOException e)
                {
                    throw Failure($"cannot write {message["method"]} to the server: {e.Message}", e);
                }
            }
        }

        private void ReadMessages(Stream fromServer)
        {
            string reason;
            try
            {
                while (true)
                {
                    int length = -1;
                    string? line;
                    while ((line = ReadHeaderLine(fromServer)) is { Length: > 0 })
                    {
                        int colon = line.IndexOf(':', StringComparison.Ordinal);
                        if (colon > 0 && line.Substring(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                        {
                            length = int.Parse(line.Substring(colon + 1).Trim(), CultureInfo.InvariantCulture);
                        }
                    }

                    if (line is null)
                    {
                        break;
                    }

                    if (length < 0)
                    {
                        throw new InvalidDataException("a message without Content-Length");
                    }

                    byte[] body = new byte[length];
                    fromServer.ReadExactly(body, 0, length);
                    Dispatch(JsonNode.Parse(body)!.AsObject());
                }

                reason = _process.WaitForExit(5000) ? $"the language server exited with code {_process.ExitCode}" : "the language server closed its output";
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or FormatException or ObjectDisposedException or InvalidOperationException)
            {
                reason = "reading from the language server failed: " + e.Message;
            }

            List<TaskCompletionSource<JsonNode?>> pending;
            lock (_gate)
            {
                _gone = reason;
                AppendLog("client", reason);
                pending = _pending.Values.ToList();
                _pending.Clear();
                _changed.TrySetResult();
            }

            foreach (TaskCompletionSource<JsonNode?> request in pending)
            {
                request.TrySetException(Failure(reason));
            }
        }

        private void Dispatch(JsonObject message)
        {
            string? method = message["method"]?.GetValue<string>();
            JsonNode? id = message["id"];
            if (method is not null && id is not null)
            {
                JsonNode? parameters = message["params"];
                lock (_gate)
                {
                    _serverRequests.Add((method, parameters?.DeepClone()));
                }

                JsonNode? result = _answer(method, parameters);
                Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(), ["result"] = result });
            }
            else if (method is not null)
            {
                JsonNode? parameters = message["params"];
                if (method == "textDocument/publishDiagnostics" && parameters?["uri"]?.GetValue<string>() is string uri)
                {
                    lock (_gate)
                    {
                        _published[uri] = (JsonArray)(parameters["diagnostics"]?.DeepClone() ?? new JsonArray());
                        TaskCompletionSource changed = _changed;
                        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        changed.TrySetResult();
                    }
                }
                else if (method is "window/logMessage" or "window/showMessage")
                {
                    AppendLog(method, parameters?["message"]?.GetValue<string>() ?? "");
                }
            }
            else if (id is not null)
            {
                TaskCompletionSource<JsonNode?>? request;
                lock (_gate)
                {
                    int key = id.GetValue<int>();
                    if (_pending.TryGetValue(key, out request))
                    {
                        _pending.Remove(key);
                    }
                }

                if (request is null)
                {
                    return;
                }

                if (message["error"] is JsonNode error)
                {
                    request.TrySetException(Failure("the server answered with an error: " + error.ToJsonString()));
                }
                else
                {
                    request.TrySetResult(message["result"]?.DeepClone());
                }
            }
        }

        private void AppendLog(string source, string text)
        {
            lock (_gate)
            {
                _log.Append(_clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)).Append(" s [").Append(source).Append("] ").AppendLine(text);
            }
        }

        /// <summary>A header line without its CR LF; an empty string ends the headers; null at the end of the stream.</summary>
        private static string? ReadHeaderLine(Stream stream)
        {
            var line = new StringBuilder();
            while (true)
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    return null;
                }

                if (b == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }

                line.Append((char)b);
            }
        }
    }

    /// <summary>A language-server test's failure; its message ends with the server's log.</summary>
    internal sealed class LanguageServerException : Exception
    {
        public LanguageServerException(string message, Exception? inner)
            : base(message, inner)
        {
        }
    }
}
