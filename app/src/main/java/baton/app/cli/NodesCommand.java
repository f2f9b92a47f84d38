package baton.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code baton nodes}: the cluster's members and their workers. */
@Command(name = "nodes", mixinStandardHelpOptions = true,
    description = "Lists the cluster's members: address, roles, status and cpu workers.")
final class NodesCommand extends ClientCommand {

  @Option(names = "--json", description = "Print a JSON array of members.")
  boolean json;

  @Override
  int run(CoordinatorClient client, PrintWriter out, PrintWriter err) throws Exception {
    JsonNode members = client.nodes();
    if (json) {
      out.println(members.toString());
    } else {
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("ADDRESS", "ROLES", "STATUS", "WORKERS"));
      for (JsonNode member : members) {
        List<String> roles = new ArrayList<>();
        member.get("roles").forEach(role -> roles.add(role.asText()));
        rows.add(List.of(member.get("address").asText(), String.join(",", roles), member.get("status").asText(),
            member.get("workers").asText()));
      }
      Table.print(rows, out);
    }
    out.flush();
    return ExitCodes.SUCCEEDED;
  }
}
