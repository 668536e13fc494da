// A form filled by JavaRosa, the form engine inside ODK Collect, for the tests of fieldsync's
// OpenRosa server: java FillForm FORM.xml MEDIA_DIR ANSWERS.tsv OUT.xml
//
// ANSWERS.tsv holds one line per answer, "<reference without indices>\t<value>", or
// "#repeat\t<reference>\t<count>" for how many instances a repeat gets. A reference inside
// a repeat takes the instance's number (1-based) after the repeat: "/data/r[2]/q". The media
// directory holds the CSV files the form reads (jr://file-csv/…), as Collect keeps them.
// Every answer goes through FormEntryController.answerQuestion, so constraints and types
// are checked as on the phone; the end checks required questions like finalising a form.
// Exit 0: OUT.xml is the instance Collect would send. Exit 2: an answer was refused.
// Exit 3: the form is incomplete.

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.javarosa.core.model.FormDef;
import org.javarosa.core.model.FormIndex;
import org.javarosa.core.model.SelectChoice;
import org.javarosa.core.model.ValidateOutcome;
import org.javarosa.core.model.data.AnswerDataFactory;
import org.javarosa.core.model.data.IAnswerData;
import org.javarosa.core.model.data.SelectMultiData;
import org.javarosa.core.model.data.SelectOneData;
import org.javarosa.core.model.data.StringData;
import org.javarosa.core.model.data.UncastData;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.InstanceInitializationFactory;
import org.javarosa.core.reference.PrefixedRootFactory;
import org.javarosa.core.reference.Reference;
import org.javarosa.core.reference.ReferenceManager;
import org.javarosa.core.model.Constants;
import org.javarosa.form.api.FormEntryController;
import org.javarosa.form.api.FormEntryModel;
import org.javarosa.form.api.FormEntryPrompt;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.model.xform.XFormsModule;
import org.javarosa.xform.util.XFormUtils;

public class FillForm {

    static final class FileReference implements Reference {
        private final File file;

        FileReference(File file) { this.file = file; }
        public boolean doesBinaryExist() { return file.exists(); }
        public InputStream getStream() throws IOException { return new FileInputStream(file); }
        public String getURI() { return "jr://file/" + file.getName(); }
        public String getLocalURI() { return file.getAbsolutePath(); }
        public boolean isReadOnly() { return true; }
        public OutputStream getOutputStream() throws IOException { throw new IOException("read only"); }
        public void remove() { }
        public Reference[] probeAlternativeReferences() { return new Reference[0]; }
    }

    static int instanceNumber(String reference) {
        java.util.regex.Matcher last = java.util.regex.Pattern.compile("\\[(\\d+)\\]$").matcher(reference);
        return last.find() ? Integer.parseInt(last.group(1)) : 1;
    }

    static String generic(String reference) {
        return reference.replaceAll("\\[\\d+\\]", "");
    }

    // JavaRosa numbers every step ("/data/g[1]/q[1]"); the answers file numbers only repeats.
    static String keyOf(String reference, Map<String, Integer> repeats) {
        StringBuilder key = new StringBuilder();
        StringBuilder plain = new StringBuilder();
        for (String step : reference.split("/")) {
            if (step.isEmpty()) continue;
            String name = step.replaceAll("\\[\\d+\\]$", "");
            plain.append('/').append(name);
            key.append('/').append(repeats.containsKey(plain.toString()) ? step : name);
        }
        return key.toString();
    }

    public static void main(String[] args) throws Exception {
        File form = new File(args[0]);
        final File media = new File(args[1]);
        Map<String, String> answers = new HashMap<>();
        Map<String, Integer> repeats = new HashMap<>();
        for (String line : Files.readAllLines(new File(args[2]).toPath(), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t", -1);
            if (parts[0].equals("#repeat")) repeats.put(parts[1], Integer.parseInt(parts[2]));
            else answers.put(parts[0], parts[1]);
        }

        new XFormsModule().registerModule();
        ReferenceManager.instance().addReferenceFactory(new PrefixedRootFactory(new String[]{"file-csv/", "file/"}) {
            @Override
            protected Reference factory(String terminal, String uri) {
                return new FileReference(new File(media, terminal));
            }
        });
        FormDef definition = XFormUtils.getFormFromInputStream(new FileInputStream(form));
        definition.initialize(true, new InstanceInitializationFactory());
        FormEntryController controller = new FormEntryController(new FormEntryModel(definition));

        int event;
        while ((event = controller.stepToNextEvent()) != FormEntryController.EVENT_END_OF_FORM) {
            FormIndex index = controller.getModel().getFormIndex();
            String reference = index.getReference().toString();
            if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT
                    || event == FormEntryController.EVENT_REPEAT) {
                // The form comes with one instance of each repeat: add or delete to the count asked.
                String repeat = generic(reference);
                int number = instanceNumber(reference);
                int wanted = repeats.getOrDefault(repeat, 0);
                if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT && number <= wanted) {
                    controller.newRepeat();
                } else if (event == FormEntryController.EVENT_REPEAT && number > wanted) {
                    controller.jumpToIndex(controller.deleteRepeat(index));
                }
                continue;
            }
            if (event != FormEntryController.EVENT_QUESTION) continue;
            String value = answers.get(keyOf(reference, repeats));
            if (value == null) continue;
            FormEntryPrompt prompt = controller.getModel().getQuestionPrompt();
            IAnswerData data = answer(prompt, value);
            int status = controller.answerQuestion(index, data, true);
            if (status != FormEntryController.ANSWER_OK) {
                System.err.println("refused " + reference + " = " + value + " (status " + status + ": "
                        + prompt.getConstraintText() + ")");
                System.exit(2);
            }
        }
        ValidateOutcome outcome = definition.validate(true);
        if (outcome != null) {
            System.err.println("incomplete at " + outcome.failedPrompt.getReference() + " (status "
                    + outcome.outcome + ")");
            System.exit(3);
        }
        definition.postProcessInstance();
        byte[] xml = new XFormSerializingVisitor().serializeInstance(definition.getInstance());
        try (OutputStream out = new FileOutputStream(args[3])) {
            out.write(xml);
        }
    }

    static IAnswerData answer(FormEntryPrompt prompt, String value) {
        int control = prompt.getControlType();
        if (control == Constants.CONTROL_SELECT_ONE || control == Constants.CONTROL_SELECT_MULTI) {
            List<Selection> chosen = new ArrayList<>();
            for (String wanted : value.split(" ")) {
                for (SelectChoice choice : prompt.getSelectChoices()) {
                    if (choice.getValue().equals(wanted)) chosen.add(choice.selection());
                }
            }
            if (chosen.isEmpty()) throw new IllegalArgumentException("no choice " + value + " at " + prompt.getIndex());
            return control == Constants.CONTROL_SELECT_ONE ? new SelectOneData(chosen.get(0)) : new SelectMultiData(chosen);
        }
        if (prompt.getDataType() == Constants.DATATYPE_BINARY) return new StringData(value);
        return AnswerDataFactory.templateByDataType(prompt.getDataType()).cast(new UncastData(value));
    }
}
