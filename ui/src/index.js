// The Control UI entry of clawbernetes (built to dist/control-ui/index.js, declared in
// openclaw.plugin.json `controlUi`). It registers the Fleet page, its sidebar item and the
// dashboard widget; the widget renders only while the plugin's backend registers the matching
// descriptor (js-shim/index.js: surface "widget", id "fleet-summary").
// The default export is what the SDK's defineControlUiPlugin returns (that function is the
// identity): {id, activate(host)}, with an id equal to the manifest's.
import "./styles.css";
import { mountFleetPage } from "./fleet-page.js";
import { mountFleetWidget } from "./fleet-widget.js";

const PAGE = { id: "fleet" };

export default {
  id: "clawbernetes",
  activate(host) {
    const disposers = [
      host.ui.registerPage({ id: PAGE.id, label: "Fleet", mount: mountFleetPage }),
      host.ui.registerNavigation({ id: "fleet", label: "Fleet", page: PAGE, icon: "server", order: 30 }),
      host.ui.registerWidget({ id: "fleet-summary", label: "Fleet summary", mount: (container, context) => mountFleetWidget(container, context, PAGE) }),
    ];
    return () => disposers.forEach((dispose) => dispose());
  },
};
