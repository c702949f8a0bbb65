# Runs one module of Python's regression suite (libpython3.11-testsuite) with unittest and
# prints one line per test: "ok|fail|error|skip|xfail|xpass ID", then "END n". A test that
# runs over its time limit ends the run (faulthandler exits the process), so what hangs
# is simply not reported as passed.  Usage: pytests.py MODULE [SECONDS-PER-TEST]
import faulthandler, os, sys, tempfile, unittest

mod = sys.argv[1]
limit = float(sys.argv[2]) if len(sys.argv) > 2 else 120
out = sys.stdout

class Result(unittest.TestResult):
    def report(self, kind, test):
        out.write(f"{kind} {test.id()}\n")
        out.flush()
    def startTest(self, test):
        super().startTest(test)
        faulthandler.dump_traceback_later(limit, exit=True, file=sys.stderr)
    def stopTest(self, test):
        faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)
    def addSuccess(self, test): self.report("ok", test)
    def addFailure(self, test, err): self.report("fail", test)
    def addError(self, test, err):
        # setUpClass/module errors come as _ErrorHolder objects: their id names the fixture.
        self.report("error", test)
    def addSkip(self, test, reason): self.report("skip", test)
    def addExpectedFailure(self, test, err): self.report("xfail", test)
    def addUnexpectedSuccess(self, test): self.report("xpass", test)
    def addSubTest(self, test, sub, err):
        if err is not None:
            self.report("fail" if issubclass(err[0], test.failureException) else "error", test)

work = tempfile.mkdtemp(prefix="pytests-")
os.chdir(work)
sys.stderr = open(os.devnull, "w") if os.environ.get("PYTESTS_QUIET") else sys.stderr
suite = unittest.defaultTestLoader.loadTestsFromName("test." + mod)
result = Result()
suite.run(result)
out.write(f"END {result.testsRun}\n")
out.flush()
os._exit(0)
