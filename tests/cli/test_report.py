"""The HTML report (run --format html, allocbench report): one self-contained file,
rendered by a real browser (Debian's chromium, headless) that must draw it and fetch
nothing; and `plot`, which draws the same charts."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

from harness import BACKENDS, allocbench, small_params

WORKLOADS = ["small-object-churn", "connection-pool"]
RUN = ("run", "--backend", ",".join(BACKENDS), "--workload", ",".join(WORKLOADS), "--reps", "3", "--warmup", "0",
       *small_params(WORKLOADS))
CHROMIUM = shutil.which("chromium")
WINDOW = (1280, 1400)


def png_pixels(path):
    """(width, height, the decompressed scanlines) of a PNG file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, size = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        at += 12 + length
    return size[0], size[1], zlib.decompress(idat)


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def baseline_with_a_regression(self):
        """A baseline in which the first backend allocated less: a deterministic regression now."""
        base = self.path("base.json")
        p = allocbench(*RUN, "--format", "json", "--output", base)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(base) as f:
            data = json.load(f)
        allocs = data["results"][0]["metrics"]["allocs"]
        for k in ("median", "min", "max"):
            allocs[k] = allocs[k] * 0.8
        allocs["samples"] = [s * 0.8 for s in allocs["samples"]]
        with open(base, "w") as f:
            json.dump(data, f)
        return base, data["results"][0]["backend"], data["results"][0]["workload"]

    def assert_self_contained(self, html):
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        lowered = html.lower()
        for fetching in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "https://"):
            self.assertNotIn(fetching, lowered)
        # The one address in it is SVG's namespace, which names and never fetches.
        self.assertEqual(lowered.count("http://"), lowered.count("http://www.w3.org/2000/svg"))

    def render(self, html_path, png_path):
        """Chromium's screenshot of the page, and the addresses the page itself asked for."""
        netlog = png_path + ".netlog.json"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--disable-background-networking", "--user-data-dir=" + self.path("profile"),
                        f"--window-size={WINDOW[0]},{WINDOW[1]}", "--screenshot=" + png_path,
                        "--log-net-log=" + netlog, "file://" + html_path],
                       capture_output=True, timeout=120, check=True)
        with open(netlog) as f:
            events = json.load(f)["events"]
        # The browser's own requests (updates, accounts) are not the page's: the page's
        # carry its file:// isolation key.
        return {e["params"]["url"] for e in events
                if "url" in e.get("params", {}) and "file://" in e.get("params", {}).get("network_isolation_key", "")}

    def test_run_format_html_shows_verdicts_first_charts_and_timelines(self):
        base, backend, workload = self.baseline_with_a_regression()
        out = self.path("report.html")
        p = allocbench(*RUN, "--timeline", "--baseline", base, "--format", "html", "--output", out)
        self.assertEqual(p.returncode, 1, p.stderr)  # the regression still decides the exit code
        with open(out) as f:
            html = f.read()
        self.assert_self_contained(html)
        verdicts = html.index("regression check against baseline")
        self.assertLess(verdicts, html.index("<h2>small-object-churn</h2>"))
        first_row = html.index("<tr", html.index("<tbody>", verdicts))
        self.assertTrue(html.startswith(f'<tr class="alarm"><td>REGRESSION</td><td>{backend}</td><td>{workload}</td>'
                                        "<td>allocs</td>", first_row))
        for w in WORKLOADS:
            section = html[html.index(f"<h2>{w}</h2>"):]
            self.assertIn("time: median, whisker from fastest to slowest repetition", section)
            self.assertIn("memory: peak live bytes (grey), peak RSS (outlined)", section)
            self.assertIn("memory over the measured phase", section)
        self.assertEqual(html.count("<polyline"), 2 * len(BACKENDS) * len(WORKLOADS))  # RSS and live per cell
        self.assertIn("@media print", html)

    def test_latency_percentiles_are_drawn_per_backend_in_the_report_and_plot(self):
        results = self.path("latency.json")
        p = allocbench(*RUN, "--latency", "--format", "json", "--output", results)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(allocbench("report", results, "-o", self.path("latency.html")).returncode, 0)
        with open(self.path("latency.html")) as f:
            html = f.read()
        self.assert_self_contained(html)
        for w in WORKLOADS:
            section = html[html.index(f"<h2>{w}</h2>"):]
            self.assertIn("time of single calls (--latency", section)
        for backend in BACKENDS:  # a malloc and a free line per workload
            self.assertEqual(html.count(f"<title>{backend} malloc</title>"), len(WORKLOADS))
            self.assertEqual(html.count(f"<title>{backend} free</title>"), len(WORKLOADS))
        self.assertEqual(allocbench("plot", results, "-o", self.path("latency.svg")).returncode, 0)
        with open(self.path("latency.svg")) as f:
            self.assertEqual(f.read().count("time of single calls (--latency"), len(WORKLOADS))

    def test_report_command_and_plot_draw_the_same_charts(self):
        base, _, _ = self.baseline_with_a_regression()
        results = self.path("results.json")
        self.assertEqual(allocbench(*RUN, "--format", "json", "--output", results).returncode, 0)
        out = self.path("report.html")
        p = allocbench("report", results, "--baseline", base, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)  # a report, not a gate
        with open(out) as f:
            html = f.read()
        self.assert_self_contained(html)
        self.assertIn("REGRESSION", html)
        p = allocbench("report", results, "-o", self.path("plain.html"))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.path("plain.html")) as f:
            self.assertNotIn("regression check", f.read())
        # plot draws the charts the report does, from one chart library.
        svg = self.path("chart.svg")
        self.assertEqual(allocbench("plot", results, "-o", svg).returncode, 0)
        with open(svg) as f:
            chart = f.read()
        self.assertIn("time: median, whisker from fastest to slowest repetition", chart)
        p = allocbench("report", self.path("missing.json"), "-o", self.path("x.html"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.json", p.stderr)
        self.assertFalse(os.path.exists(self.path("x.html")))

    def test_what_a_user_names_is_escaped(self):
        out = self.path("odd.html")
        p = allocbench("run", "--backend", "system", "--workload", "cmd:echo '<b>&\"x'", "--reps", "1", "--format",
                       "html", "--output", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            html = f.read()
        self.assertIn("cmd:echo '&lt;b&gt;&amp;&quot;x'", html)
        self.assertNotIn("<b>", html)

    def test_a_real_browser_draws_the_report_and_it_fetches_nothing(self):
        if not CHROMIUM:
            self.skipTest("chromium is not installed: run install-deps.sh")
        # The check can see a fetch: a page that asks for an image is caught.
        canary = self.path("canary.html")
        with open(canary, "w") as f:
            f.write('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/canary.png"></body></html>')
        self.assertIn("http://127.0.0.1:9/canary.png", self.render(canary, self.path("canary.png")))

        base, _, _ = self.baseline_with_a_regression()
        out, png = self.path("report.html"), self.path("report.png")
        allocbench(*RUN, "--timeline", "--baseline", base, "--metric", "allocs,wall_ns", "--format", "html",
                   "--output", out)
        self.assertEqual(self.render(out, png), set())
        width, height, pixels = png_pixels(png)
        self.assertEqual((width, height), WINDOW)
        # Drawn: far from a blank page (a white screenshot has a handful of byte values).
        self.assertGreater(len(set(pixels)), 64)
        self.assertGreater(sum(1 for b in pixels[::97] if b < 200) / len(pixels[::97]), 0.01)
        if os.environ.get("ALLOCBENCH_KEEP_SCREENSHOT"):  # the README's picture comes from here
            shutil.copy(png, os.environ["ALLOCBENCH_KEEP_SCREENSHOT"])
