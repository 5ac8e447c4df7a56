import { render } from "preact";
import "./style.css";
import { Compare } from "./pages/Compare";
import { Drift } from "./pages/Drift";
import { Experiments } from "./pages/Experiments";
import { Model, Models } from "./pages/Models";
import { Run } from "./pages/Run";
import { Runs } from "./pages/Runs";
import { useRoute } from "./route";

function App() {
  const route = useRoute();
  const [page, arg] = route.path;
  let body;
  if (!page || page === "experiments") body = <Experiments />;
  else if (page === "runs") body = <Runs route={route} />;
  else if (page === "run" && arg) body = <Run id={arg} route={route} />;
  else if (page === "compare") body = <Compare route={route} />;
  else if (page === "models" && arg) body = <Model name={arg} />;
  else if (page === "models") body = <Models />;
  else if (page === "drift") body = <Drift route={route} />;
  else body = <p class="error">No page at {location.hash}.</p>;
  const tab = (p: string, label: string) => <a href={"#/" + p} class={(page ?? "experiments") === p || (p === "experiments" && !page) ? "on" : ""}>{label}</a>;
  return (
    <>
      <header>
        <a class="brand" href="#/">Plinth</a>
        <nav>{tab("experiments", "Experiments")}{tab("models", "Models")}{tab("drift", "Drift")}</nav>
      </header>
      <main>{body}</main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
